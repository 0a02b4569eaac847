"""Rack controller scenarios in the one-machine data centre (ironworks.lab.datacentre)."""
