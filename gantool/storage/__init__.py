"""What a run leaves behind and how it is read back: the run directory and its files, checkpoints, logs and
pictures, the generator export and exported folder, and `gantool.load`."""
