"""`copier update`: user work kept, template changes applied, options toggled."""
