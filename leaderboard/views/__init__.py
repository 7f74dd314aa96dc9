"""What the board draws: the tables and their cells, plots, the overview, track pages, cost, the queue."""
