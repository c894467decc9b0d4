import sys

from neuroflow.cli import main

sys.exit(main())
