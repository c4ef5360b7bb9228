"""The local mirror of Bokio: tables and repositories (which never commit)."""
