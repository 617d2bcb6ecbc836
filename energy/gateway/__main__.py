import sys

from energy.gateway.cli import main

sys.exit(main())
