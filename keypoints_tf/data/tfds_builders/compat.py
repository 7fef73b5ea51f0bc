"""Works around a tensorflow-datasets 4.9.x bug for builders that live outside its own package.

``DatasetBuilder.code_path`` evaluates ``importlib_resources.abc.Traversable`` even on Python >= 3.9,
where tensorflow-datasets does not install the ``importlib_resources`` backport, so
``download_and_prepare`` fails with ``No module named 'importlib_resources'``. Builders that mix in
`SourceFileCodePath` locate their module with `inspect` instead (tfds' own fallback), which needs no
backport. Where ``importlib_resources`` is installed this changes nothing.
"""

import inspect

from etils import epath
from tensorflow_datasets.core.utils import py_utils


class SourceFileCodePath:
    """Mixin for a `tfds.core.GeneratorBasedBuilder`: ``code_path`` is the file that defines the class."""

    @py_utils.classproperty
    @classmethod
    def code_path(cls):
        return epath.Path(inspect.getfile(cls))
