#!/bin/sh
#SBATCH -n 4
#SBATCH --wrap\
