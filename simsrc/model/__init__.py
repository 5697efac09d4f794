"""What a business is and what it chooses: scenarios, levers, the parameter table, files."""
