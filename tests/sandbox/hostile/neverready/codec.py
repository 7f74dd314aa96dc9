"""Never prints the ready line."""
import time

while True:
    time.sleep(3600)
