"""gantool-mlflow: send gantool runs to MLflow with `gantool train --track mlflow`."""
