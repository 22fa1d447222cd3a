"""RQ cron configuration: `rq cron --url $REDIS_URL bizkit.notifications.cron`.

The sweeper job runs in an AppWorker like any other job (queue `notifications`).
"""

from rq import cron

from bizkit.notifications.tasks import sweep_notifications

SWEEP_INTERVAL_SECONDS = 30

cron.register(sweep_notifications, "notifications", interval=SWEEP_INTERVAL_SECONDS)
