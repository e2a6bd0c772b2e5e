"""`python -m core.providers.bedrock` (what `make check-bedrock` runs)."""

import sys

from core.providers.bedrock.check import main

sys.exit(main())
