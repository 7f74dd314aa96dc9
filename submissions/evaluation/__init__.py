"""One evaluation task, run by the queue's worker and by campaigns alike, here or on a Dask cluster;
intake's build and self-check."""
