"""RQ cron configuration, the Procfile's `cron` process: `rq cron --url $REDIS_URL bizkit.cron`.

Each job runs in an AppWorker like any other job:
- the notifications outbox sweeper, every 30 s (queue `notifications`);
- the deletion of customer export files past their day, every hour (queue `exports`).
"""

from rq import cron

from bizkit.customers.tasks import expire_customer_exports
from bizkit.notifications.tasks import sweep_notifications

SWEEP_INTERVAL_SECONDS = 30
EXPORT_EXPIRY_INTERVAL_SECONDS = 3600

cron.register(sweep_notifications, "notifications", interval=SWEEP_INTERVAL_SECONDS)
cron.register(expire_customer_exports, "exports", interval=EXPORT_EXPIRY_INTERVAL_SECONDS)
