"""The HR KPI dashboard: every figure as METRICS.md §HR KPIs defines it."""
