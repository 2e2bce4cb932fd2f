from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsageConfig(AppConfig):
    name = "kizuna.usage"
    label = "usage"
    verbose_name = _("Product usage")

    def ready(self) -> None:
        """Add the usage metrics to ``kizuna metrics`` (the registry lives with the
        customer metrics, which the command was built for)."""
        from kizuna.customers.registry import Argument, register_metric
        from kizuna.usage import metric_entry

        register_metric(
            "activity-churn",
            metric_entry.activity_churn,
            [
                Argument(
                    "inactive_days",
                    _(
                        "Length N of the inactivity window in days (default 30): churned "
                        "accounts had an event in the N days before --from and none in the "
                        "N days before --to."
                    ),
                    parse=metric_entry.parse_positive_days,
                    default=30,
                )
            ],
            label=_("Activity churn rate"),
            numerator_label=_("accounts that went inactive"),
            denominator_label=_("accounts active before the start"),
        )
        register_metric(
            "stickiness",
            metric_entry.stickiness,
            [
                Argument(
                    "account",
                    _("Only this account (its external ID); default: all users."),
                )
            ],
            label=_("Stickiness (mean DAU / active users in the period)"),
            numerator_label=_("mean daily active users"),
            denominator_label=_("active users in the period"),
        )
        register_metric(
            "adoption",
            metric_entry.adoption,
            [
                Argument(
                    "feature",
                    _("The feature's short name (defined under features in the UI)."),
                    required=True,
                ),
                Argument(
                    "by",
                    _("Count users (default) or accounts: user or account."),
                    parse=metric_entry.parse_unit,
                ),
            ],
            label=_("Feature adoption"),
            numerator_label=_("users (or accounts) that used the feature"),
            denominator_label=_("active users (or accounts)"),
        )
