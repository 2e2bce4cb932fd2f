"""Manager and HR practices between surveys: 1on1s, evaluation and feedback, recognition,
flexible work and the HR KPIs that show whether they work. One small Django app each."""
