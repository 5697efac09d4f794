"""Questions asked of the model: compare, attribution, sensitivity, sweeps, optimisation."""
