"""The booking app's forms, one module per audience: resident, desk, queue, lawyer, availability."""
