import sys

sys.exit("inception is not ready")
