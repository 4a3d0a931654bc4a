"""FORMAT_MODULE_PATH: Django's DATE_FORMAT and friends per language, from the one table in hubsite.dates."""
