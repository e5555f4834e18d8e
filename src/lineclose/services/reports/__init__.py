"""Reports out of Lineclose: to regulators and for staff."""
