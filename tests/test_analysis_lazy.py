"""``import analysis`` is cheap: scipy and statsmodels load only when a function needs them."""

import subprocess
import sys


def test_package_import_does_not_load_statsmodels_and_names_still_resolve():
    code = (
        "import sys, analysis\n"
        "assert 'statsmodels' not in sys.modules and 'scipy' not in sys.modules\n"
        "from analysis import adjust_pvalues, score_scale\n"
        "import analysis.multiplicity as m\n"
        "assert adjust_pvalues is m.adjust_pvalues\n"
        "assert sorted(analysis.__all__) == analysis.__all__\n"
        "try:\n    analysis.no_such_name\nexcept AttributeError:\n    pass\n"
        "else:\n    raise SystemExit('no AttributeError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
