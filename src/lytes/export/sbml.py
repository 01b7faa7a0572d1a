"""ModelData as SBML Level 3 Version 2, written with python-libsbml (``pip install "lytes[sbml]"``)."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

from .model import ModelData
from .units import parse_unit

ANNOTATION_NS = "urn:lytes:annotation:1"
INSTALL = 'SBML export needs python-libsbml: pip install "lytes[sbml]" (or pip install python-libsbml)'


class MissingDependency(RuntimeError):
    pass


def libsbml():
    try:
        import libsbml as module
    except ImportError:
        raise MissingDependency(INSTALL) from None
    return module


def _check(status: int, what: str) -> None:
    lib = libsbml()
    if status != lib.LIBSBML_OPERATION_SUCCESS:
        raise ValueError(f"SBML: {what} failed ({lib.OperationReturnValue_toString(status)})")


def _notes(element, paragraphs) -> None:
    if isinstance(paragraphs, str):
        paragraphs = [paragraphs]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    _check(element.setNotes(f'<body xmlns="http://www.w3.org/1999/xhtml">{body}</body>'), f"notes of {element.getId()}")


def _math(formula: str):
    lib = libsbml()
    ast = lib.parseL3Formula(formula)
    if ast is None:
        raise ValueError(f"SBML: cannot parse {formula[:200]!r}: {lib.getLastParseL3Error()}")
    return ast


def _unit_definitions(model, units: dict[str, str]) -> None:
    lib = libsbml()
    kinds = {
        "mole": lib.UNIT_KIND_MOLE,
        "litre": lib.UNIT_KIND_LITRE,
        "gram": lib.UNIT_KIND_GRAM,
        "second": lib.UNIT_KIND_SECOND,
        "volt": lib.UNIT_KIND_VOLT,
        "metre": lib.UNIT_KIND_METRE,
        "dimensionless": lib.UNIT_KIND_DIMENSIONLESS,
    }
    for uid, text in sorted(units.items()):
        if uid == "dimensionless":
            continue
        definition = model.createUnitDefinition()
        definition.setId(uid)
        definition.setName(text)
        for kind, exponent, scale, multiplier in parse_unit(text).parts:
            unit = definition.createUnit()
            unit.setKind(kinds[kind])
            unit.setExponent(exponent)
            unit.setScale(scale)
            unit.setMultiplier(multiplier)


def to_sbml(md: ModelData) -> str:
    """The SBML document (a string) of ``md``."""
    lib = libsbml()
    doc = lib.SBMLDocument(3, 2)
    model = doc.createModel()
    model.setId(md.id)
    model.setName(md.name)
    _notes(model, md.notes)
    units = dict(md.units) | {"h": "h", "mmol": "mmol"}
    _unit_definitions(model, units)
    model.setTimeUnits("h")
    model.setSubstanceUnits("mmol")
    model.setExtentUnits("mmol")
    model.setVolumeUnits("litre")
    for cid, what in md.compartments.items():
        comp = model.createCompartment()
        comp.setId(cid)
        comp.setSize(1.0)
        comp.setSpatialDimensions(3)
        comp.setUnits("litre")
        comp.setConstant(True)
        _notes(comp, f"{what}; a nominal 1 L: species are amounts (hasOnlySubstanceUnits)")
    for s in md.species:
        sp = model.createSpecies()
        sp.setId(s.id)
        sp.setCompartment(s.compartment)
        sp.setInitialAmount(s.amount)
        sp.setSubstanceUnits(s.unit)
        sp.setHasOnlySubstanceUnits(True)
        sp.setBoundaryCondition(False)
        sp.setConstant(False)
        _notes(sp, s.notes)
    for q in md.parameters:
        par = model.createParameter()
        par.setId(q.id)
        if math.isfinite(q.value):
            par.setValue(q.value)
        if q.unit:
            par.setUnits(q.unit)
        par.setConstant(q.constant)
        _notes(par, q.notes)
        if q.annotation:
            attrs = " ".join(f"{k}={quoteattr(str(v))}" for k, v in q.annotation.items())
            _check(par.setAnnotation(f'<lytes:parameter xmlns:lytes="{ANNOTATION_NS}" {attrs}/>'), q.id)
    for symbol, formula in md.initial_assignments.items():
        ia = model.createInitialAssignment()
        ia.setSymbol(symbol)
        _check(ia.setMath(_math(formula)), f"initial assignment of {symbol}")
    for variable, formula in md.assignment_rules.items():
        rule = model.createAssignmentRule()
        rule.setVariable(variable)
        _check(rule.setMath(_math(formula)), f"assignment rule of {variable}")
    for variable, formula in md.rate_rules.items():
        rule = model.createRateRule()
        rule.setVariable(variable)
        _check(rule.setMath(_math(formula)), f"rate rule of {variable}")
    for r in md.reactions:
        reaction = model.createReaction()
        reaction.setId(r.id)
        reaction.setReversible(True)
        for species, create in ((r.source, reaction.createReactant), (r.target, reaction.createProduct)):
            if species is not None:
                ref = create()
                ref.setSpecies(species)
                ref.setStoichiometry(1.0)
                ref.setConstant(True)
        law = reaction.createKineticLaw()
        _check(law.setMath(_math(r.formula)), f"kinetic law of {r.id}")
    for e in md.events:
        event = model.createEvent()
        event.setId(e.id)
        event.setUseValuesFromTriggerTime(True)
        trigger = event.createTrigger()
        trigger.setInitialValue(False)  # an event at t = 0 fires at the start
        trigger.setPersistent(True)
        _check(trigger.setMath(_math(f"time >= {e.time!r}")), f"trigger of {e.id}")
        for variable, formula in e.assignments:
            assignment = event.createEventAssignment()
            assignment.setVariable(variable)
            _check(assignment.setMath(_math(formula)), f"assignment of {variable} in {e.id}")
        _notes(event, e.notes)
    if doc.checkInternalConsistency():
        errors = doc.getErrorLog()
        for k in range(errors.getNumErrors()):
            err = errors.getError(k)
            if err.getSeverity() >= lib.LIBSBML_SEV_ERROR:
                raise ValueError(f"SBML: {err.getMessage().strip()}")
    return lib.writeSBMLToString(doc)
