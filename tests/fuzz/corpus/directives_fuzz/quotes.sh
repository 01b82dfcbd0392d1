#!/bin/sh
# a plain comment
#SBATCH --comment="a \"quoted\" comment" -J 'single quoted'
#DROVER --cpu-kind=big:2,little:4  # trailing comment
#SLURM --partition batch
#SBATCHED by hand: not a directive

echo done
#SBATCH --ignored-after-first-command
