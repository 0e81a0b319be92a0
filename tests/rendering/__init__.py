"""Questions, answers and what a render of them contains."""
