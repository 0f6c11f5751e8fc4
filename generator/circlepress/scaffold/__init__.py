"""`circlepress new`: programmes and circles, the starter files and the bundled wheel."""
