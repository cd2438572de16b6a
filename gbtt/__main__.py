import sys

from gbtt.cli import main

sys.exit(main())
