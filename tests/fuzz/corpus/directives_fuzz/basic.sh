#!/bin/bash
#SBATCH -J hello
#SBATCH -N 2 --ntasks-per-node=4
#SBATCH --time=1:00:00 --mem=2G
#SBATCH -o out-%j.txt
srun hostname
