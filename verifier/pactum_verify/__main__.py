import sys

from pactum_verify.cli import main

sys.exit(main())
