"""What came out: simulate, results and KPIs, random runs, parallel execution."""
