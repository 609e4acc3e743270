"""The imperative shell: owns time, threads, files and the network; runs the core's effects."""
