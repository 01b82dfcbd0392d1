#SBATCH --comment="never closed
hostname
