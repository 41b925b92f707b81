"""A leave wallet written the way a FastAPI team writes one: default
operation ids, enums, defaults, optional query parameters, response
headers, HTTPException errors and pydantic validation (422)."""

from enum import Enum
from typing import Annotated

from fastapi import FastAPI, Header, HTTPException, Query, Response, status
from pydantic import BaseModel, Field

app = FastAPI(title="Leave Wallet", version="1.0.0")


class LeaveType(str, Enum):
    annual = "annual"
    sick = "sick"
    unpaid = "unpaid"


class Balance(BaseModel):
    employee_id: str
    leave_type: LeaveType
    days: float
    carried_over: float = 0.0


class DebitRequest(BaseModel):
    days: float = Field(gt=0, le=30)
    leave_type: LeaveType = LeaveType.annual
    reason: str | None = None
    approved_by: list[str] = []


class Debit(BaseModel):
    id: str
    employee_id: str
    days: float
    leave_type: LeaveType
    balance_after: float


BALANCES = {("emp-1", LeaveType.annual): 20.0, ("emp-1", LeaveType.sick): 5.0}


@app.get("/leave-wallets/{employee_id}/balance")
def get_leave_balance(
    employee_id: str,
    response: Response,
    leave_type: LeaveType = LeaveType.annual,
    as_of: str | None = None,
) -> Balance:
    days = BALANCES.get((employee_id, leave_type))
    if days is None:
        raise HTTPException(status_code=404, detail=f"no {leave_type.value} wallet for {employee_id}")
    response.headers["ETag"] = f'"{employee_id}-{leave_type.value}-{days}"'
    return Balance(employee_id=employee_id, leave_type=leave_type, days=days)


@app.post("/leave-wallets/{employee_id}/debits", status_code=status.HTTP_201_CREATED)
def debit_leave(
    employee_id: str,
    body: DebitRequest,
    response: Response,
    x_request_id: Annotated[str | None, Header()] = None,
) -> Debit:
    key = (employee_id, body.leave_type)
    days = BALANCES.get(key, 0.0)
    if body.days > days:
        raise HTTPException(status_code=409, detail="insufficient balance")
    BALANCES[key] = days - body.days
    debit_id = f"d-{employee_id}-{len(body.approved_by)}"
    response.headers["Location"] = f"/leave-wallets/{employee_id}/debits/{debit_id}"
    if x_request_id is not None:
        response.headers["X-Request-Id"] = x_request_id
    return Debit(
        id=debit_id,
        employee_id=employee_id,
        days=body.days,
        leave_type=body.leave_type,
        balance_after=BALANCES[key],
    )


@app.get("/leave-wallets")
def list_leave_wallets(
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: int = 0,
    leave_type: LeaveType | None = None,
) -> list[Balance]:
    rows = [
        Balance(employee_id=employee, leave_type=kind, days=days)
        for (employee, kind), days in sorted(BALANCES.items(), key=lambda item: (item[0][0], item[0][1].value))
        if leave_type is None or kind == leave_type
    ]
    return rows[offset : offset + limit]
