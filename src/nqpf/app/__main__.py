"""``python -m nqpf.app``: start the workbench (see :func:`nqpf.app.main.main`)."""

import sys

from nqpf.app.main import main

sys.exit(main())
