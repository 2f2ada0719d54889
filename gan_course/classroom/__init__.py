"""The teacher's room: lessons built from solutions, and grading.

- ``lessons``: build ``lessons/`` from ``solutions/`` and verify they are in sync;
- ``dataflow``: which names a cell reads and binds (the outputs a lesson may keep);
- ``grading``: ``gan-course check``, one notebook's grade against the reference checks;
- ``course``: the exercises grading checks, read from the solutions and shipped as course.json;
- ``session``: runs one untrusted notebook in its own kernel and asks it for its answers;
- ``sandbox``: the copy of its folder it runs in, its environment, and the end of its processes;
- ``supervisor``: the process between the grader and a kernel (its session, its memory cap);
- ``probe``: the code the grader sends into that kernel;
- ``gradebook``: a class's notebooks graded into one CSV;
- ``nbgrader``: the solutions exported as an nbgrader source folder.

The classroom sits on top: it may import anything in the package; nothing imports it but the CLI.
"""
