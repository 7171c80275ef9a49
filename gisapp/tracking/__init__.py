"""Progress tracking between surveys: snapshots, village matching, changes, burn-down."""
