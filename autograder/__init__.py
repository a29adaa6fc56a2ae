"""ClusterLab: auto-graded clustering assignments with a sandboxed grader.

The import name of the engine is ``autograder``; the command is ``clusterlab``.
Importing this package imports nothing heavy: the sandbox zygote imports it
before forking children, and the children must not hold grader code.
"""

__version__ = "0.1.0"
