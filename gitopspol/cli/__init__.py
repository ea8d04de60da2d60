"""The command-line interface: the only code in gitopspol that prints or exits."""
