# gan-course: `make lab` opens the course, `make test` runs every test (both set up .venv first).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED_DATA := $(wildcard ../shared/data)
export GAN_COURSE_DATA ?= $(abspath $(SHARED_DATA))

.PHONY: setup lab test test-lib test-notebooks lessons lint benchmark clean

$(BIN)/gan-course: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	touch $@

setup: $(BIN)/gan-course

lab: setup
	$(BIN)/jupyter lab lessons/

test: setup
	GAN_COURSE_PROFILE=quick $(BIN)/python -m pytest tests solutions --nbval-lax

lessons: setup
	$(BIN)/gan-course lessons build

lint: setup
	$(BIN)/ruff check gan_course tests benchmarks

benchmark: setup
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) runs solutions/runs lessons/runs solutions/style_gallery lessons/style_gallery
