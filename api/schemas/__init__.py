"""The API's response models: the shapes the workflow's dicts (the CLI's `--json`) already have."""
