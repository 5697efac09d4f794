"""How cohorts evolve: tenure curves, packing scenarios into arrays, cohort paths, the kernel."""
