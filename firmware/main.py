# Copied to the board's root as main.py: runs the gate I/O firmware at power-up.
import gateio.main

gateio.main.run()
