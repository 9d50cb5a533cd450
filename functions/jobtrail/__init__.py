"""jobtrail: tracked short links for job ads, deployed as one package to every Lambda."""
