"""The bundled configuration: `auths.yml` and one file per module (data, not code)."""
