# The seed imports UPLOAD_PATH from its own conf/settings.py (not part of the write-up); here it is
# the run's temp root, given by the bench in the UPLOAD_PATH environment variable.
import os

UPLOAD_PATH = os.environ['UPLOAD_PATH']
