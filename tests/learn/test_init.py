import ast
import subprocess
import sys
from pathlib import Path

import labelloop.learn

PUBLIC = {
    "NotEnoughLabelsError",
    "StopSignal",
    "StoppingMonitor",
    "agreed_labels",
    "bald",
    "certainty",
    "check_model",
    "check_training_data",
    "committee_proba",
    "committee_scores",
    "cv_folds",
    "cv_splits",
    "diverse_batch",
    "entropy",
    "evaluate",
    "find_label_issues",
    "fit",
    "flag_label_issues",
    "from_indicator",
    "get_acquisition",
    "label_issue_scores",
    "learning_curve_gain",
    "margin",
    "out_of_fold_proba",
    "predict_pool",
    "prediction_agreement",
    "priorities",
    "random",
    "rank",
    "select_batch",
    "stopping_signal",
    "to_indicator",
    "validate_proba",
    "vote_entropy",
    "wrap_multilabel",
}


def test_public_names_are_pinned_and_importable() -> None:
    assert set(labelloop.learn.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(labelloop.learn, name).__doc__


def test_importing_learn_does_not_import_scikit_learn_or_joblib() -> None:
    code = (
        "import sys, labelloop.learn; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'joblib', 'scipy'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_learn_never_imports_the_store_or_the_project() -> None:
    package = Path(labelloop.learn.__file__).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = [alias.name for alias in getattr(node, "names", [])]
            if isinstance(node, ast.ImportFrom):  # also catches "from labelloop import store"
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                assert not name.startswith(("labelloop.store", "labelloop.project")), module.name
