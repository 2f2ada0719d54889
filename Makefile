# gan-course: `make lab` opens the course, `make test` runs every test (both set up .venv first).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED_DATA := $(wildcard ../shared/data)
export GAN_COURSE_DATA ?= $(abspath $(SHARED_DATA))

.PHONY: setup lab test test-lib test-notebooks lessons lint benchmark clean

# GPU=yes installs TensorFlow with NVIDIA's CUDA libraries (the `gpu` extra), GPU=no without them.
# Left unset, it is yes exactly when `nvidia-smi -L` lists a GPU. Given on the command line
# (`make setup GPU=no`), it reinstalls an existing .venv. `make print-install` shows the choice.
GPU ?= $(if $(shell nvidia-smi -L 2>/dev/null | grep '^GPU '),yes,no)
comma := ,
gpu_choice = $(if $(filter yes no,$(GPU)),$(GPU),$(error GPU=$(GPU): use GPU=yes or GPU=no))
EXTRAS = dev$(if $(filter yes,$(gpu_choice)),$(comma)gpu)
PIP_INSTALL = $(BIN)/python -m pip install -e ".[$(EXTRAS)]"

.PHONY: print-install FORCE
ifeq ($(origin GPU),command line)
$(BIN)/gan-course: FORCE
endif

$(BIN)/gan-course: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	@echo "GPU=$(gpu_choice): installing gan-course[$(EXTRAS)] (choose with GPU=yes|no; docs/gpu.md)"
	$(PIP_INSTALL)
	touch $@

print-install:
	@echo 'GPU=$(gpu_choice): $(PIP_INSTALL)'

setup: $(BIN)/gan-course

# Jupyter refuses to run as root unless told (a container, a classroom VM); when port 8888 is
# taken it moves on to the next free one. Extra options: make lab LAB_ARGS="--ip=0.0.0.0"
LAB_ARGS ?=
lab: setup
	@echo "Starting JupyterLab in lessons/: open the http://localhost:PORT/lab?token=... URL it prints."
	$(BIN)/jupyter lab lessons/ --ServerApp.port_retries=50 $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

test: setup
	GAN_COURSE_PROFILE=quick $(BIN)/python -m pytest tests solutions --nbval-lax -n 2 --dist loadscope --durations=20

lessons: setup
	$(BIN)/gan-course lessons build

lint: setup
	$(BIN)/ruff check gan_course tests benchmarks

benchmark: setup
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) runs solutions/runs lessons/runs solutions/style_gallery lessons/style_gallery
