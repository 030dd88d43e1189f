"""The Congress.gov committee-meeting ("hearings") daily updater, built on sqlbatch."""
