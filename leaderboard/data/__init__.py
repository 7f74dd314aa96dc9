"""Reading results: the store and the published tables, record rows and their labels, ranks and intervals."""
