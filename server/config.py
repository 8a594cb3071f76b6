"""Settings: safe defaults for the embedded SQLite set-up, overridden from the environment in production."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _instance_secret(instance_path: Path) -> str:
    """Keep one random SECRET_KEY per instance so sessions survive restarts without a configured secret."""
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _seconds_range(text: str | None, default: tuple[int, int]) -> tuple[int, int]:
    """``"1800,10800"`` from the environment as (low, high) seconds, or the default."""
    if not text:
        return default
    low, high = (int(part) for part in text.split(","))
    if not 0 <= low <= high:
        raise ValueError(f"a range of seconds must be low,high with 0 <= low <= high, not {text!r}")
    return low, high


def load_config(instance_path: Path) -> dict[str, object]:
    """Build the configuration from the environment; every key here can be overridden in tests."""
    env = os.environ
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'binhan.db'}"
    if database_url.startswith("postgres://"):  # Heroku-style URLs name the old driver
        database_url = "postgresql://" + database_url.removeprefix("postgres://")
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    redis_url = env.get("REDIS_URL")
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or _instance_secret(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # hide_parameters: a failed statement's error (and so a logged traceback) never quotes its values, such
        # as a tip's text (DESIGN.md: logs hold no tip text).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        # Where photos and forms live (server/attachments/storage.py): "local" (ATTACHMENTS_DIR) or "s3", a
        # private bucket of an S3-compatible store shared by every app server. S3 credentials come from the
        # standard AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), as boto3 reads them.
        "ATTACHMENTS_STORE": env.get("ATTACHMENTS_STORE") or "local",
        "ATTACHMENTS_DIR": env.get("ATTACHMENTS_DIR") or str(instance_path / "attachments"),
        "S3_BUCKET": env.get("S3_BUCKET", ""),
        "S3_ENDPOINT_URL": env.get("S3_ENDPOINT_URL", ""),  # empty for AWS; http(s)://host:port for MinIO and co.
        "S3_REGION": env.get("S3_REGION") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        "S3_PREFIX": env.get("S3_PREFIX", ""),  # e.g. "binhan/" to share a bucket
        "REDIS_URL": redis_url,
        # Without Redis the counters live in a SQLite file that every gunicorn worker of the machine shares.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI")
        or redis_url
        or f"binhan-sqlite://{instance_path / 'ratelimits.sqlite3'}",
        # A prefix for the counters' keys, for deployments (or test runs) that share one Redis.
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", ""),
        # No X-RateLimit-* headers on every answer (bytes on 2G); a 429 still says Retry-After (errors.py).
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "1") != "0",
        # How many reverse proxies sit in front of gunicorn: their X-Forwarded-For is trusted so that rate
        # limits count each client, not the proxy's one address.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES") or 0),
        # Bodies: a sync batch is small text; photos come through the chunked upload.
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "MAX_DECOMPRESSED_LENGTH": 4 * 1024 * 1024,
        "SYNC_PAGE_SIZE": int(env.get("SYNC_PAGE_SIZE", "500")),  # a phone away a month: one round trip
        "ATTACHMENT_MAX_BYTES": 5 * 1024 * 1024,
        "ATTACHMENT_CHUNK_MAX_BYTES": 512 * 1024,
        "ANNOUNCEMENT_FILE_MAX_BYTES": 10 * 1024 * 1024,
        # Recordings are checked by parsing their container (attachments/audio.py); "1" also asks ffprobe, where
        # it is installed, to read the cleaned file as one Opus stream.
        "AUDIO_FFPROBE": env.get("AUDIO_FFPROBE", "0") == "1",
        # Per phone (its device token): syncs and upload chunks a minute, answered 429 with Retry-After beyond.
        # The PWA syncs every 5 minutes and sends a 5 MB photo in about 20 chunks: far below both.
        "DEVICE_SYNC_LIMIT": env.get("DEVICE_SYNC_LIMIT", "60 per minute;600 per hour"),
        "DEVICE_UPLOAD_LIMIT": env.get("DEVICE_UPLOAD_LIMIT", "300 per minute;3000 per hour"),
        # Photo bytes one group may have stored over the last GROUP_QUOTA_DAYS (413 quota_exceeded beyond;
        # the phone keeps the photo and tries again later). Phones send ~150 KB photos: 200 MB is ~1,300.
        "GROUP_QUOTA_MB": int(env.get("GROUP_QUOTA_MB", "200")),
        "GROUP_QUOTA_DAYS": int(env.get("GROUP_QUOTA_DAYS", "30")),
        # Anonymous tips (ADR 0004): blind-signed tokens a phone may get per commune-local day and tip key; the
        # random delay (seconds) before the phone sends a queued tip alone, shorter for an urgent one; how often
        # it may poll each tip's mailbox. Published in GET /api/v1/rules. Half an hour to three hours: with 2-15
        # minutes an officer picked the tipster's group 30-35 % of the time among 8 (chance: 12.5 %), because the
        # tip arrived in the hour of the sync that carried it (tests/security/test_unlinkable_tips.py, threat model).
        "TIP_TOKENS_PER_DAY": int(env.get("TIP_TOKENS_PER_DAY", "5")),
        # The province's recovery public key (base64url P-256 point; `flask commune-keys recovery-key` makes the
        # pair): every commune key is also sealed to it, so a lost passphrase does not lose the tips.
        "PROVINCE_RECOVERY_KEY": env.get("PROVINCE_RECOVERY_KEY", ""),
        "TIP_DELAY_SECONDS": _seconds_range(env.get("TIP_DELAY_SECONDS"), (1800, 10800)),
        "TIP_URGENT_DELAY_SECONDS": _seconds_range(env.get("TIP_URGENT_DELAY_SECONDS"), (20, 120)),
        # Nor does a tip leave within an hour of the phone pushing named items (which officers see to the second):
        # a tip whose moment passed while the app was closed goes in a later session that pushed nothing named.
        "TIP_QUIET_SECONDS": int(env.get("TIP_QUIET_SECONDS", "3600")),
        "TIP_MAILBOX_POLL_SECONDS": int(env.get("TIP_MAILBOX_POLL_SECONDS", "900")),
        # Rate limits of the tokenless tip endpoints, per token / mailbox (never per address).
        "TIP_SEND_LIMIT": env.get("TIP_SEND_LIMIT", "10 per minute;60 per hour"),
        "TIP_MAILBOX_LIMIT": env.get("TIP_MAILBOX_LIMIT", "30 per minute;300 per hour"),
        "TIP_UPLOAD_LIMIT": env.get("TIP_UPLOAD_LIMIT", "300 per minute;3000 per hour"),
        "ENROLMENT_CODE_TTL_HOURS": 72,
        "ENROLMENT_RETRY_MINUTES": 15,
        # Household keys (docs/adr/0005-household-keys.md): a printed household code lasts two weeks; wrong PINs
        # a household may type in a (commune-local) day before it locks until an officer unlocks it.
        "HOUSEHOLD_CODE_TTL_HOURS": int(env.get("HOUSEHOLD_CODE_TTL_HOURS", "336")),
        "HOUSEHOLD_PIN_TRIES": int(env.get("HOUSEHOLD_PIN_TRIES", "10")),
        # Officer console: the commune's clock for dates typed in filters and stats, and when a report that
        # has had no answer yet is flagged in the queue.
        "TIMEZONE": env.get("TIMEZONE", "Asia/Ho_Chi_Minh"),
        "REPORT_OVERDUE_HOURS": int(env.get("REPORT_OVERDUE_HOURS", "24")),
        "URGENT_OVERDUE_HOURS": int(env.get("URGENT_OVERDUE_HOURS", "2")),
        # Live console (server/live/stream.py, issue 15): streams a gunicorn worker may hold (empty: half its threads,
        # none in a sync worker), a heartbeat comment every so often, and the end of each stream after a while
        # (the browser reconnects with Last-Event-ID); without Redis, how often workers read new events.
        "LIVE_STREAMS_PER_WORKER": int(env.get("LIVE_STREAMS_PER_WORKER") or 0),
        "LIVE_HEARTBEAT_SECONDS": float(env.get("LIVE_HEARTBEAT_SECONDS", "15")),
        "LIVE_STREAM_SECONDS": float(env.get("LIVE_STREAM_SECONDS", "300")),
        "LIVE_RETRY_MS": int(env.get("LIVE_RETRY_MS", "2000")),
        "LIVE_POLL_SECONDS": float(env.get("LIVE_POLL_SECONDS", "0.5")),
        "LIVE_KEEP_MINUTES": int(env.get("LIVE_KEEP_MINUTES", "30")),
        # The Redis pub/sub channel of live events: deployments sharing one Redis need one each.
        "LIVE_CHANNEL": env.get("LIVE_CHANNEL", "binhan:live"),
        # Web Push (server/alerts/webpush.py): the VAPID key pair every app server shares (PEM or base64url raw
        # private key; unset: one generated in instance/, fine for a single server) and the contact push
        # services see. PUSH_INLINE sends in the request after the commit instead of a background thread (tests).
        "VAPID_PRIVATE_KEY": env.get("VAPID_PRIVATE_KEY", ""),
        "VAPID_SUBJECT": env.get("VAPID_SUBJECT", "mailto:admin@binhan.invalid"),
        "PUSH_TIMEOUT_SECONDS": float(env.get("PUSH_TIMEOUT_SECONDS", "10")),
        "PUSH_INLINE": env.get("PUSH_INLINE", "0") == "1",
        # Push endpoints must be https:// (the server POSTs to them); only a test's local push service is plain HTTP.
        "PUSH_ALLOW_HTTP": env.get("PUSH_ALLOW_HTTP", "0") == "1",
        "APPOINTMENT_WINDOW_DAYS": int(env.get("APPOINTMENT_WINDOW_DAYS", "21")),  # open slots phones are sent
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "0") == "1",
        "SESSION_COOKIE_NAME": "binhan_session",
        # Officer sessions are rows on the server (officer_session): they end on sign-out, after
        # SESSION_IDLE_MINUTES without a request, and SESSION_MAX_HOURS after sign-in whatever happens. The
        # cookie is not extended on each request; it simply outlives no session.
        "SESSION_IDLE_MINUTES": int(env.get("SESSION_IDLE_MINUTES", "120")),
        "SESSION_MAX_HOURS": int(env.get("SESSION_MAX_HOURS", "12")),
        "PERMANENT_SESSION_LIFETIME": int(env.get("SESSION_MAX_HOURS", "12")) * 3600,
        "SESSION_REFRESH_EACH_REQUEST": False,
        # /metrics answers only with "Authorization: Bearer <METRICS_TOKEN>"; unset, it does not exist (404).
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or None,
        "PWA_DIR": env.get("PWA_DIR") or str(Path(__file__).resolve().parent.parent / "pwa"),
        # OpenAPI (flask-smorest)
        "API_TITLE": "Bình An",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "COMPRESS_MIMETYPES": [
            "application/json",
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
            "application/manifest+json",
            "image/svg+xml",
        ],
        "COMPRESS_ALGORITHM": ["zstd", "br", "gzip"],
        "COMPRESS_MIN_SIZE": 512,
    }
