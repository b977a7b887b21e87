"""The one training loop every experiment shares (classifiers, unlearning, poison retraining)."""

from .loop import History, TrainSpec, accuracy, fit, predict

__all__ = ["History", "TrainSpec", "accuracy", "fit", "predict"]
