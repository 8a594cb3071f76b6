"""Running the app in production: health and readiness for the load balancer, Prometheus metrics, one JSON log
line per request with its request id, and the gunicorn configuration that goes with them (docs/deploy.md)."""
